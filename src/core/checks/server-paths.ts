// Where the server checks live on a server: the program the timer runs, its settings, and its
// state (the last results and which alerts went out). The program and settings are public; the
// webhook address may carry a token, so it is root-only beside the state, outside /etc/chasquid.
export const CHECK_UNIT = 'mailwright-check';
export const CHECK_SERVICE_PATH = `/etc/systemd/system/${CHECK_UNIT}.service`;
export const CHECK_TIMER_PATH = `/etc/systemd/system/${CHECK_UNIT}.timer`;
/** The check program: one file, run by the distribution's Node.js (beside the renewal program). */
export const CHECK_PROGRAM_PATH = '/usr/local/lib/mailwright/check.js';
/** The host as the checks need it (mailwright.yaml without SSH details) and where alerts go, no secrets. */
export const CHECK_SETTINGS_PATH = '/etc/mailwright/check.json';
/** root:root 0700: the state and the webhook address. */
export const CHECK_STATE_DIR = '/var/lib/mailwright/check';
/** The last results and the open alerts (root 0600; the editor reads it through sudo with the facts). */
export const CHECK_STATE_PATH = `${CHECK_STATE_DIR}/state.json`;
/** The webhook address (it may hold a token): root 0600, written only with the user's consent. */
export const CHECK_WEBHOOK_PATH = `${CHECK_STATE_DIR}/webhook.json`;

/** The files whose content Mailwright decides (hashed by the facts; all world-readable). */
export const CHECK_PUBLIC_FILES = [
  CHECK_SERVICE_PATH,
  CHECK_TIMER_PATH,
  CHECK_PROGRAM_PATH,
  CHECK_SETTINGS_PATH,
] as const;
