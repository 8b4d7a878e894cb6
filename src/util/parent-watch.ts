/**
 * When the gateway was started through npm (`npm start`, `npx flywheel serve`), npm runs it under
 * `sh -c`, and a process manager's SIGTERM to npm reaches only that shell: the shell dies and the gateway
 * would run on as an orphan. So under npm the gateway watches its parent and, when it goes away, shuts
 * down exactly as on SIGTERM. Started any other way (node bin/flywheel.js, systemd, a container's
 * entrypoint, nohup), it keeps running when its parent exits, as such a process should.
 */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event !== undefined && env.npm_execpath !== undefined;
}

/** Calls `onOrphaned` once when the parent process changes (it exited). Returns a stop function. */
export function watchParent(onOrphaned: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
