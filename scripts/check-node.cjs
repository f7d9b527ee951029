// Plain CommonJS on purpose: it must run on any Node, including the ones it refuses. The project
// needs Node >= 22.18 (TypeScript type stripping, `--conditions=source`); an older one gets through
// `pnpm install` and then fails with an ERR_UNKNOWN_FILE_EXTENSION stack trace on the first `.ts`
// file. Loaded by .pnpmfile.cjs (so `pnpm install` stops before installing anything) and run
// before `pnpm start` and `pnpm test`.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `triage needs Node.js >= 22.18 (24 LTS recommended, see .nvmrc); this is ${process.version}. Install it with \`nvm install 24\` or from https://nodejs.org/en/download, then run the command again.\n`,
  );
  process.exit(1);
}
