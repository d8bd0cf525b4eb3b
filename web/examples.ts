/** The input zone's files when the page opens. */
export const initialFiles: Record<string, string> = {
  'words.txt': 'pear\napple\nfig\nbanana\napple\ncherry\n',
  'tools.json':
    JSON.stringify(
      {
        tools: [
          { name: 'jq', kind: 'preview1', kib: 1013 },
          { name: 'lua', kind: 'preview1', kib: 324 },
          { name: 'js', kind: 'preview2', kib: 12439 },
        ],
      },
      null,
      2,
    ) + '\n',
  'hello.lua': 'local n = 0\nfor line in io.lines("/input/words.txt") do n = n + #line end\nprint("letters in words.txt: " .. n)\n',
  'runaway.lua': '-- never ends: the deadline stops it\nwhile true do end\n',
  'count.py': [
    'import collections, json',
    '',
    'counts = collections.Counter(open("/input/words.txt").read().split())',
    'for word, n in counts.most_common():',
    '    print(n, word)',
    'with open("/output/counts.json", "w") as out:',
    '    json.dump(counts, out, indent=2, sort_keys=True)',
    '',
  ].join('\n'),
};

/**
 * A run's deadline unless an example sets one: generous enough for python's
 * first run (its interpreter starts by reading a hundred stdlib modules from
 * memory under fuel metering); the tool's fetch and compile are not counted.
 */
export const defaultTimeoutMs = 10_000;

/** A ready-made run: a tool, its arguments, perhaps its stdin and, for the runaway, a shorter deadline. */
export interface Example {
  readonly label: string;
  readonly tool: string;
  readonly args: string;
  readonly stdin?: string;
  readonly timeoutMs?: number;
  readonly about: string;
}

export const examples: readonly Example[] = [
  { label: 'sort', tool: 'sort', args: '-u /input/words.txt', about: 'BusyBox sort on a file of the input zone' },
  { label: 'sort stdin', tool: 'sort', args: '-r', stdin: 'kiwi\nplum\napple\nmango\n', about: 'no file argument: sort reads the stdin box' },
  { label: 'sort to a file', tool: 'sort', args: '-o /output/sorted.txt /input/words.txt', about: 'writes its result into the output zone' },
  { label: 'jq', tool: 'jq', args: '-r \'.tools[] | select(.kind == "preview1") | .name\' /input/tools.json', about: 'a JSON query' },
  { label: 'lua', tool: 'lua', args: '/input/hello.lua', about: 'a Lua script reading the input zone' },
  {
    label: 'sqlite3',
    tool: 'sqlite3',
    args: "/output/fruit.db \"create table fruit(name); insert into fruit values ('fig'), ('pear'); select count(*) from fruit;\"",
    about: 'a database written into the output zone',
  },
  {
    label: 'python',
    tool: 'python3',
    args: '/input/count.py',
    about: 'CPython counting words into the output zone (loaded on first use: 17 MB, 6 MB gzipped)',
  },
  {
    label: 'command line',
    tool: 'sh',
    args: '-c \'sort /input/words.txt | uniq -c | sort -rn | head -1; echo "$(wc -l < /input/words.txt) words"\'',
    about: "goodbot's shell: a command line whose every command is a catalog tool, under the same policy",
  },
  { label: 'write to input', tool: 'touch', args: '/input/new.txt', about: 'the input zone is read-only: the guest gets EROFS' },
  { label: 'runaway', tool: 'lua', args: '/input/runaway.lua', timeoutMs: 1000, about: 'an endless loop that the 1 s deadline stops, or Cancel' },
];

/** The tools offered in the picker, in order (all must run in the browser build). */
export const pageTools: readonly string[] = [
  'sh',
  'cat',
  'wc',
  'sort',
  'uniq',
  'grep',
  'head',
  'tail',
  'sed',
  'awk',
  'tr',
  'cut',
  'ls',
  'cp',
  'mkdir',
  'rm',
  'touch',
  'tee',
  'sha256sum',
  'jq',
  'lua',
  'sqlite3',
  'python3',
];
