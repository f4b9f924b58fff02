// Where a DANE key rollover keeps its state on the server: read by the rollover itself and, as a
// list of the mail hosts with a rollover under way, by the facts (which must not import the rollover).
export const ROLLOVER_DIR = '/var/lib/mailwright/dane-rollover';
