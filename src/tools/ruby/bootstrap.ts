import type { RubyCommand } from './arguments.js';

const encoder = new TextEncoder();

/** A Ruby string literal for any JS string (well-formed UTF-8, no interpolation). */
function rubyString(text: string): string {
  const wellFormed = new TextDecoder().decode(encoder.encode(text));
  return JSON.stringify(wellFormed).replace(/#/g, '\\#');
}

/**
 * The Ruby that runs the program. It is evaluated at top level by
 * `rb-eval-string-protect` (frames of file `eval`, dropped from backtraces),
 * inside a lambda so none of its locals reach TOPLEVEL_BINDING. The program is
 * compiled as a top-level iseq (`compile_file` for a script: `__FILE__`,
 * `require_relative` and a top-level `return` work as in ruby), whose own
 * locals are not TOPLEVEL_BINDING's, unlike ruby's main script. ruby-init
 * leaves `at_exit` handlers to `ruby_cleanup`, which a reactor never reaches,
 * so `at_exit` is recorded here and the handlers run at the end (last first,
 * with `$!` set as in ruby). Output buffers are flushed before `exit!`.
 */
export function bootstrapSource(command: RubyCommand, cwd: string): string {
  const code = command.code !== undefined ? rubyString(command.code) : 'nil';
  const script = command.script !== undefined ? rubyString(command.script) : 'nil';
  const requires = `[${command.requires.map(rubyString).join(', ')}]`;
  const chdir = command.chdir !== undefined ? rubyString(command.chdir) : 'nil';
  return `->(code, script, requires, chdir, syntax_only, cwd, progname) do
  handlers = []
  record = ->(block) do
    raise ArgumentError, "called without a block" unless block
    handlers << block
    block
  end
  verbose, $VERBOSE = $VERBOSE, nil
  Kernel.send(:define_method, :at_exit) { |&block| record.(block) }
  Kernel.send(:private, :at_exit)
  Kernel.define_singleton_method(:at_exit) { |&block| record.(block) }
  $VERBOSE = verbose
  main = code ? "-e" : script
  report = ->(error) do
    text =
      begin
        error.full_message(order: :top)
      rescue Exception
        trace = error.backtrace || []
        ["#{trace.first}: #{error.message} (#{error.class})", *trace.drop(1).map { |line| "\\tfrom #{line}" }, ""].join("\\n")
      end
    lines = text.lines
    if lines.first&.start_with?("eval:")
      prefix = error.is_a?(SyntaxError) ? "#{main}: " : "#{progname}: "
      lines[0] = lines[0].sub(/\\Aeval:\\d+:in '[^']*': /, prefix)
    end
    lines.reject! { |line| line.start_with?("\\tfrom eval:") || line.match?(/\\A\\tfrom [^:]*:in 'Kernel\\.eval'\\n?\\z/) }
    $stderr.write(lines.join.gsub("in '<compiled>'", "in '<main>'"))
  end
  status = 0
  run_handlers = -> do
    while (handler = handlers.pop)
      begin
        handler.call
      rescue SystemExit => e
        status = e.status
      rescue Exception => e
        report.(e)
        status = 1
      end
    end
  end
  begin
    Dir.chdir(cwd) if cwd != "/" && File.directory?(cwd)
    if chdir
      begin
        Dir.chdir(chdir)
      rescue SystemCallError
        $stderr.write("#{progname}: Can't chdir to #{chdir} (fatal)\\n")
        Process.exit!(1)
      end
    end
    requires.each { |lib| require lib }
    iseq =
      if code
        RubyVM::InstructionSequence.compile(code, "-e", nil, 1)
      elsif script == "-"
        $0 = "-"
        RubyVM::InstructionSequence.compile($stdin.read, "-", nil, 1)
      else
        $0 = script
        begin
          source = File.binread(script)
        rescue SystemCallError => e
          $stderr.write("#{progname}: #{SystemCallError.new(nil, e.errno).message} -- #{script} (LoadError)\\n")
          Process.exit!(1)
        end
        if !syntax_only && (data = /^__END__\\r?\\n/n.match(source))
          file = File.open(script)
          file.seek(data.end(0))
          Object.const_set(:DATA, file)
        end
        RubyVM::InstructionSequence.compile_file(script)
      end
    if syntax_only
      $stdout.puts "Syntax OK"
    else
      iseq.eval
    end
  rescue SystemExit => e
    status = e.status
    run_handlers.()
  rescue Exception => e
    status = 1
    run_handlers.()
    report.(e)
  else
    run_handlers.()
  end
  [$stdout, $stderr, STDOUT, STDERR].uniq.each { |io| io.flush rescue nil }
  Process.exit!(status)
end.(${code}, ${script}, ${requires}, ${chdir}, ${command.syntaxOnly}, ${rubyString(cwd)}, ${rubyString(command.programName)})
`;
}
