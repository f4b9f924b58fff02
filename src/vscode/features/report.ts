// Bundle "report": message analysis (mailauth) and the Mail Report panel, which the test-mail
// run shows its report in too; and the Reports panel of the DMARC and TLS reports a server kept.
export { analyzeMessageSource } from '../mail-report/analyze-command';
export { MailReportPanel, type MailReportOptions, type MailReportPanelDeps } from '../mail-report/panel';
export { analysisView, checksSummary, statusLabel } from '../../panels/mail-report/view';
export { sendTestMailCommand } from '../mail-report/send-test-command';
export { ReportsPanel } from '../reports/panel';
