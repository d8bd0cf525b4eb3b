/** The variables that send a sandbox's HTTP clients (curl, wget, pip, git…) through the proxy at URL. */
export function proxyEnvironment(url: string): Record<string, string> {
  return { HTTP_PROXY: url, HTTPS_PROXY: url, ALL_PROXY: url, http_proxy: url, https_proxy: url, all_proxy: url };
}
