// Bundle "report": message analysis (mailauth) and the Mail Report panel, which the test-mail
// run shows its report in too.
export { analyzeMessageSource } from '../mail-report/analyze-command';
export { MailReportPanel, type MailReportOptions, type MailReportPanelDeps } from '../mail-report/panel';
export { analysisView, checksSummary, statusLabel } from '../../panels/mail-report/view';
export { sendTestMailCommand } from '../mail-report/send-test-command';
