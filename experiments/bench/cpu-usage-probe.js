'use strict';
// Preloaded (`node -r`) by the bench into a child process it times: at exit, writes the
// process's CPU time (user and system, all threads, in microseconds) as JSON to file
// descriptor 3, which the bench opened as a pipe, so the child's own output is untouched.
const fs = require('fs');

process.on('exit', () => {
  fs.writeSync(3, JSON.stringify(process.cpuUsage()));
});
