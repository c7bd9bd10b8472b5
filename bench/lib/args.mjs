/** Command-line flags every suite understands: --quick, --out <file>, --only a,b. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = { quick: false, out: undefined, only: undefined, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--out') args.out = argv[++i];
    else if (a.startsWith('--out=')) args.out = a.slice(6);
    else if (a === '--only') args.only = argv[++i].split(',');
    else if (a.startsWith('--only=')) args.only = a.slice(7).split(',');
    else args.rest.push(a);
  }
  return args;
}

/** Progress goes to stderr so stdout stays clean Markdown. */
export function log(...parts) {
  process.stderr.write(`${parts.join(' ')}\n`);
}
