// Bundle "logs": the log tail documents and the recent messages list.
export { LogDocuments } from '../logs/log-documents';
export { showRecentMessages } from '../logs/recent-messages';
