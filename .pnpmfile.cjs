// pnpm loads this file before it installs anything: on a Node too old for the project the install
// stops at once with one line saying which Node is needed (scripts/check-node.cjs).
require('./scripts/check-node.cjs');

module.exports = {};
