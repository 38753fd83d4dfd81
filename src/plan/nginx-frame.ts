/** The files one nginx of a lab writes: all under its own directory of the lab's state (nginx's -p prefix). */
export interface NginxPaths {
  prefix: string;
  pid: string;
  errorLog: string;
  accessLog: string;
}

/**
 * The part of an nginx.conf every lab nginx shares, around the `http` block's
 * own lines: the pid, the lock file, one worker, and inside `http` the logs
 * and every path nginx could write, which Debian's build puts under
 * /var/lib/nginx and /var/log/nginx, moved into the lab's directory; bodies
 * and answers kept in memory (64 KiB), so nothing spills to a file at all.
 */
export function nginxFrame(title: string, f: NginxPaths, accessFormat: string[], body: string[]): string {
  return [
    `# ${title}`,
    `pid ${f.pid};`,
    'worker_processes 1;',
    `lock_file ${f.prefix}/nginx.lock;`,
    '',
    'events {',
    '  worker_connections 1024;',
    '}',
    '',
    'http {',
    `  error_log ${f.errorLog} notice;`,
    ...accessFormat,
    `  client_body_temp_path ${f.prefix}/client-body;`,
    `  proxy_temp_path ${f.prefix}/proxy;`,
    `  fastcgi_temp_path ${f.prefix}/fastcgi;`,
    `  uwsgi_temp_path ${f.prefix}/uwsgi;`,
    `  scgi_temp_path ${f.prefix}/scgi;`,
    '  client_body_buffer_size 64k;',
    '  client_max_body_size 64k;',
    '  proxy_max_temp_file_size 0;',
    ...body,
    '}',
    '',
  ].join('\n');
}
