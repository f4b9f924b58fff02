// Bundle "actions": Add Server and the tree's actions (users, aliases, commits, hosts).
export { addServer } from '../commands/add-server';
export { getTrustedCertificateAction } from '../commands/trusted-certificate';
export { unblockAction } from '../commands/unblock';
export { compareWithPreviousAction, gitFileContent, showFileHistoryAction } from '../commands/file-history';
export {
  addAliasAction,
  addUserAction,
  commitConfAction,
  openConfigFileAction,
  removeHostAction,
  removeUserAction,
  mailSettingsAction,
  resetPasswordAction,
  verifyUserAction,
} from '../commands/tree-actions';
