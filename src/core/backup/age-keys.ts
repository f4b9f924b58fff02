// The shapes of age's X25519 keys, as age-keygen prints them (bech32): what mailwright.yaml's
// backups.schedule.recipient may hold, and what an identity file holds. No crypto code here, so
// the configuration's checks load none.

/** A recipient: the public key that locks archives (`age1…`, lowercase). */
export const AGE_RECIPIENT_PATTERN = /^age1[02-9ac-hj-np-z]{58}$/;
/** An identity: the secret key that opens them (`AGE-SECRET-KEY-1…`, uppercase). */
export const AGE_IDENTITY_PATTERN = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;
