// The mailwright executable: runs the command line and exits with its code.
import { main } from './main';

void main(process.argv.slice(2)).then((code) => process.exit(code));
