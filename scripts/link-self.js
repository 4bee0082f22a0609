// Links node_modules/pulumi-autopilot to this checkout, so the root quick-start program and the
// `__provider` code (which requires "pulumi-autopilot/runtime" by name inside Pulumi's
// dynamic-provider host) resolve the package from a clone, as they do where npm installed it.
// Does nothing when this package is itself installed inside another project's node_modules.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
if (root.split(path.sep).includes("node_modules")) {
    process.exit(0);
}
const link = path.join(root, "node_modules", "pulumi-autopilot");
try {
    if (fs.lstatSync(link).isSymbolicLink()) process.exit(0);
} catch {
    // not there yet
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync("..", link, "dir");
