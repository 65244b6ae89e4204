// Node-RED settings for the peer benchmark (bench/node-red): no editor, no HTTP nodes, the
// sqlite3 module and the database path handed to function nodes, warnings only.
const path = require("path");
module.exports = {
  uiPort: Number(process.env.PEER_UI_PORT || 1880),
  uiHost: "127.0.0.1",
  httpAdminRoot: false,
  httpNodeRoot: false,
  disableEditor: true,
  flowFile: process.env.PEER_FLOW,
  userDir: process.env.PEER_USER_DIR,
  credentialSecret: false,
  logging: { console: { level: "info", metrics: false, audit: false } },
  functionGlobalContext: {
    sqlite3: require(path.join(process.env.PEER_MODULES, "sqlite3")),
    dbPath: process.env.PEER_DB,
  },
};
