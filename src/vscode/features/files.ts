// Bundle "files": the mailwright:// file system behind the proxy registered at activation.
export { MailFileSystem } from '../fs/provider';
