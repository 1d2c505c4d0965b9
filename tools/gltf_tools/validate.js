// SPDX-License-Identifier: GPL-3.0-or-later
// Validate glTF 2.0 files with the Khronos glTF validator (npm gltf-validator, its JS API validateBytes) and print
// one JSON report per file on stdout: {"file", "errors", "warnings", "infos", "hints", "messages", "info"}.
// Usage: node validate.js FILE.glb|FILE.gltf...   Exit status 0 when every file has 0 errors and 0 warnings, else 1.
// External resources of a .gltf (its .bin, images) are read from beside the file.
"use strict";
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

async function validate(file) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const report = await validator.validateBytes(bytes, {
    uri: path.basename(file),
    maxIssues: 0,  // report every issue
    externalResourceFunction: (uri) => new Promise((resolve, reject) => {
      fs.readFile(path.join(path.dirname(file), decodeURIComponent(uri)), (err, data) =>
        err ? reject(err.toString()) : resolve(new Uint8Array(data)));
    }),
  });
  const issues = report.issues;
  return {
    file, errors: issues.numErrors, warnings: issues.numWarnings, infos: issues.numInfos, hints: issues.numHints,
    messages: issues.messages.map((m) => ({code: m.code, severity: m.severity, message: m.message,
                                          pointer: m.pointer})),
    info: report.info,
  };
}

(async () => {
  let clean = true;
  for (const file of process.argv.slice(2)) {
    const result = await validate(file);
    clean = clean && result.errors === 0 && result.warnings === 0;
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  process.exit(clean ? 0 : 1);
})().catch((err) => { process.stderr.write(`validate.js: ${err}\n`); process.exit(2); });
