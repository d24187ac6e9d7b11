// JSON log lines, one per request outcome. Callers pass only what is safe to keep: never the
// password, the Cognito tokens, the session or the Authorization header.

/** A logger writing one JSON object a line: `info` to stdout, `error` to stderr. */
export function createLog({ out = (line) => console.log(line), err = (line) => console.error(line) } = {}) {
  const write = (sink, level, fields) => sink(JSON.stringify({ level, ...fields }));
  return {
    info: (fields) => write(out, "info", fields),
    warn: (fields) => write(out, "warn", fields),
    error: (fields) => write(err, "error", fields),
  };
}

export const log = createLog();
