/** Bumped on any change to a message that an older peer would misread. Hello carries it; a mismatch is refused. */
export const PROTOCOL_VERSION = 1;

/** Software name/version sent in hello and shown on the dashboard. */
export const SOFTWARE = 'idlegrid/0.1.0';
