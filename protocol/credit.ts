/** BOINC's unit of credit: 1/200 of a day of a 1 GFLOPS machine = 4.32e11 operations (DOMAIN.md section 1). */
export const OPS_PER_COBBLESTONE = 4.32e11;
