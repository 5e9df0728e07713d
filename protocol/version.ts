import pkg from '../package.json' with { type: 'json' };

/** Bumped on any change to a message that an older peer would misread. Hello carries it; a mismatch is refused. */
export const PROTOCOL_VERSION = 1;

/** This build's version: package.json's, the one place it is written. */
export const VERSION: string = pkg.version;

/** Software name/version sent in hello and shown on the dashboard. */
export const SOFTWARE = `idlegrid/${VERSION}`;
