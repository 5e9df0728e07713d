/** What a hostile host's lie about one unit is made of (hostile-lies-keysearch.ts, hostile-lies-fftscan.ts). */
export const BEHAVIOURS = ['random', 'sybil', 'instant', 'skip', 'hide', 'invent', 'hoard'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export interface LieContext {
  jobId: string;
  unit: number;
  spec: unknown;
  /** Fraction of the unit a skipper leaves out. */
  skip: number;
}

export interface Lie {
  result: unknown;
  /** false where the behaviour found nothing to lie about in this unit (the result is honest). */
  lie: boolean;
  how: string;
}
