// Every message the runner (npm run lesson) and the grader (npm run grade) show a person, once, in
// English and in Chinese (简体中文, in the course's terms: scripts/book/glossary.json). A key missing
// one of its languages fails the type check: a plain message is { en, zh }, a message with values
// is m(en, zh), two functions of the same parameters. Read them through t() (scripts/i18n/index.ts).
// Machine-read output (reports, JSON, JUnit, the ready line `listening on`, `@@failure`) is not here:
// it stays English.

type Text = string | ((params: never) => string);
/** The catalogue's shape: every key has both languages. */
export type Catalogue = Record<string, { en: Text; zh: Text }>;

/** A message with values: the English and the Chinese, functions of the same parameters. */
export function m<P>(en: (params: P) => string, zh: (params: P) => string): { en: (params: P) => string; zh: (params: P) => string } {
  return { en, zh };
}

/** The catalogue, checked: an entry without its Chinese (or its English) does not compile. */
export function defineMessages<T extends Catalogue>(catalogue: T): T {
  return catalogue;
}

/** `a`, `a and b`, `a, b and c`: a list in a sentence. */
function joined(items: string[], and: string): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')}${and}${items.at(-1)!}`;
}
function joinedZh(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join('、')}和${items.at(-1)!}`;
}

export const messages = defineMessages({
  // ---- shared by the commands ----
  'usage.lang': m(
    (p: { value: string }) => `--lang must be en or zh, not '${p.value}'`,
    (p) => `--lang 只能是 en 或 zh，不能是 '${p.value}'`,
  ),
  'usage.unknownLesson': m(
    (p: { name: string; lessons: string[]; orAll?: boolean }) =>
      `unknown lesson '${p.name}'; the lessons are: ${p.lessons.join(', ')}${p.orAll ? ', or all' : ''}`,
    (p) => `没有名为 '${p.name}' 的课；课程有：${p.lessons.join(', ')}${p.orAll ? '，或者 all' : ''}`,
  ),
  'usage.seedNeedsFaults': {
    en: '--seed goes with --faults: it makes their random choices repeatable',
    zh: '--seed 要和 --faults 一起用：它让故障的随机选择可以重复',
  },
  'usage.programsNotFolder': m(
    (p: { dir: string }) => `--programs: ${p.dir} is not a folder`,
    (p) => `--programs：${p.dir} 不是一个文件夹`,
  ),
  'usage.needsValue': m(
    (p: { flag: string }) => `--${p.flag} needs a value`,
    (p) => `--${p.flag} 需要一个值`,
  ),
  'usage.faultsNeedTraceTo': {
    en: '--faults and --seed for one program need --trace-to HOST:PORT (the server to relay to)',
    zh: '只运行一个程序时，--faults 和 --seed 需要 --trace-to HOST:PORT（中继要转发到的服务端）',
  },
  'usage.traceToForm': m(
    (p: { text: string }) => `--trace-to must be HOST:PORT (127.0.0.1:7788, [::1]:7788), not '${p.text}'`,
    (p) => `--trace-to 必须是 HOST:PORT（127.0.0.1:7788、[::1]:7788），不能是 '${p.text}'`,
  ),
  'usage.wholeNumber': m(
    (p: { flag: string; min: number; max: number; text: string }) =>
      `${p.flag} must be a whole number from ${p.min} to ${p.max}, not '${p.text}'`,
    (p) => `${p.flag} 必须是 ${p.min} 到 ${p.max} 之间的整数，不能是 '${p.text}'`,
  ),

  // ---- npm run lesson (scripts/lesson.ts) ----
  'lesson.usage': {
    en: `usage: npm run lesson [LESSON [ROLE]] [-- OPTIONS]
  npm run lesson                                   list the lessons
  npm run lesson 04-tcp-server                     run all of its programs; type into the interactive one
  npm run lesson 04-tcp-server -- --demo           feed the lesson's scripted input instead (also when stdin is not a terminal)
  npm run lesson 04-tcp-server server -- --port 7788   run one program with its own flags
  npm run lesson 04-tcp-server -- --exercise       copy its programs to work/04-tcp-server/ for the exercise
  npm run lesson 04-tcp-server -- --watch          grade work/04-tcp-server/ now and again on every save
  npm run lesson 04-tcp-server -- --reset          copy the lesson's programs again, keeping the old folder as a backup
LESSON is the full name, its number (04) or its slug (tcp-server), or the path of a program
(lessons/04-tcp-server/server.ts, work/04-tcp-server/server.ts) to run that file as its role.
options for a whole lesson: --demo, --host HOST, --encoding NAME (passed to every program),
  --exercise, --watch (--poll: check for changes every second instead of waiting for file events), --reset, --lang en|zh, --help
the wire (a relay in front of each listening program; every other role is given the relay's port):
  --trace              print each read the relay sees: who, which way, when, how many bytes, hex and text;
                       half-close, reset and close; each UDP datagram with its source and size
  --faults SPEC        make the network misbehave, e.g. slicer, latency:ms=50, loss:p=0.3+duplicate (README: "The wire")
  --seed N             the same random choices of the faults every run
  --programs DIR       run DIR's programs instead of the lesson's (the lesson's for the files DIR lacks)
one program through a relay: npm run lesson 04-tcp-server client -- --trace-to 127.0.0.1:7788 [--faults SPEC] [flags]
  starts a relay in front of HOST:PORT (a server already running) and gives the program the relay's
  --host and --port; the relay's trace is printed with the program's output
Flags go after --: before it, npm takes them for itself.`,
    zh: `用法：npm run lesson [课 [角色]] [-- 选项]
  npm run lesson                                   列出所有的课
  npm run lesson 04-tcp-server                     运行这一课的全部程序；你的输入交给交互式的那个程序
  npm run lesson 04-tcp-server -- --demo           改用这一课写好的演示输入（stdin 不是终端时也是如此）
  npm run lesson 04-tcp-server server -- --port 7788   只运行一个程序，带上它自己的参数
  npm run lesson 04-tcp-server -- --exercise       把它的程序复制到 work/04-tcp-server/，用来做练习
  npm run lesson 04-tcp-server -- --watch          立即给 work/04-tcp-server/ 评分，之后每次保存都再评一次
  npm run lesson 04-tcp-server -- --reset          重新复制这一课的程序，旧的文件夹保留为备份
课可以写全名、编号（04）或简称（tcp-server），也可以写一个程序的路径
（lessons/04-tcp-server/server.ts、work/04-tcp-server/server.ts），按它的角色运行这个文件。
整课运行的选项：--demo、--host HOST、--encoding NAME（传给每个程序）、
  --exercise、--watch（--poll：每秒检查一次改动，而不是等待文件事件）、--reset、--lang en|zh、--help
线路（在每个监听的程序前面放一个中继（relay）；其他角色拿到的是中继的端口）：
  --trace              打印中继看到的每一次读取：谁、哪个方向、什么时候、多少字节、十六进制和文本；
                       半关闭、重置和关闭；每个 UDP 数据报及其来源和大小
  --faults SPEC        让网络故意出错，例如 slicer、latency:ms=50、loss:p=0.3+duplicate（README 的“线路”一节）
  --seed N             每次运行时，故障的随机选择都相同
  --programs DIR       运行 DIR 里的程序而不是本课的（DIR 缺少的文件用本课的）
让一个程序经过中继：npm run lesson 04-tcp-server client -- --trace-to 127.0.0.1:7788 [--faults SPEC] [参数]
  在 HOST:PORT（一个已经在运行的服务端）前面启动一个中继，并把中继的 --host 和 --port 交给这个程序；
  中继的跟踪记录和程序的输出一起打印
参数要写在 -- 之后：写在它前面的参数会被 npm 当成它自己的。`,
  },
  'lesson.notAProgram': m(
    (p: { name: string }) => `${p.name} is not a program of a lesson; run one by its lesson and role: npm run lesson 04-tcp-server server`,
    (p) => `${p.name} 不是任何一课的程序；请按课和角色运行：npm run lesson 04-tcp-server server`,
  ),
  'lesson.unknownRole': m(
    (p: { role: string; lesson: string; roles: string[] }) =>
      `unknown role '${p.role}' in ${p.lesson}; its roles are: ${p.roles.join(', ')}`,
    (p) => `${p.lesson} 没有角色 '${p.role}'；它的角色有：${p.roles.join(', ')}`,
  ),
  'lesson.npmTook': m(
    (p: { flags: string[]; command: string }) =>
      `npm took ${joined(p.flags, ' and ')} for itself (flags for the lesson go after --); type: npm run lesson ${p.command}`,
    (p) => `npm 把 ${joinedZh(p.flags)} 当成了它自己的参数（给课程的参数要写在 -- 之后）；请输入：npm run lesson ${p.command}`,
  ),
  'lesson.list': { en: 'Lessons (run one with: npm run lesson NN):\n', zh: '课程（运行其中一课：npm run lesson NN）：\n' },
  'lesson.list.broken': m(
    (p: { id: string; problem: string }) => `  ${p.id}  BROKEN: ${p.problem}\n`,
    (p) => `  ${p.id}  已损坏：${p.problem}\n`,
  ),
  'lesson.list.programs': m(
    (p: { programs: string }) => `      programs: ${p.programs}`,
    (p) => `      程序：${p.programs}`,
  ),
  'lesson.list.ports': m(
    (p: { ports: string }) => `      ports: ${p.ports}`,
    (p) => `      对应笔记：${p.ports}`,
  ),
  'lesson.list.exercise': m(
    (p: { status: string }) => `      exercise: ${p.status}\n`,
    (p) => `      练习：${p.status}\n`,
  ),
  'lesson.list.startExercise': m(
    (p: { title: string; id: string }) => `${p.title} (start it with: npm run lesson ${p.id} -- --exercise)`,
    (p) => `${p.title}（开始做：npm run lesson ${p.id} -- --exercise）`,
  ),
  'lesson.work.notGraded': m(
    (p: { where: string }) => `${p.where}: not graded yet`,
    (p) => `${p.where}：还没有评过分`,
  ),
  'lesson.work.status': m(
    (p: { where: string; passes: boolean; score: number; changed: boolean }) =>
      `${p.where}: ${p.passes ? 'passes' : 'does not pass yet'} (score ${p.score} when last graded${p.changed ? '; changed since' : ''})`,
    (p) => `${p.where}：${p.passes ? '已通过' : '还没有通过'}（上次评分 ${p.score} 分${p.changed ? '；之后又改过' : ''}）`,
  ),
  'lesson.exercise.exists': m(
    (p: { where: string; id: string }) =>
      `${p.where} already exists; your work there is kept (npm run lesson ${p.id} -- --reset starts again, keeping a backup).`,
    (p) => `${p.where} 已经存在；你在那里的作业保持不动（npm run lesson ${p.id} -- --reset 可以重新开始，并保留一份备份）。`,
  ),
  'lesson.exercise.copied': m(
    (p: { id: string; where: string }) => `Copied the programs of ${p.id} to ${p.where}/.`,
    (p) => `已把 ${p.id} 的程序复制到 ${p.where}/。`,
  ),
  'lesson.exercise.copiedAgain': m(
    (p: { id: string; where: string }) => `Copied the programs of ${p.id} to ${p.where}/ again.`,
    (p) => `已重新把 ${p.id} 的程序复制到 ${p.where}/。`,
  ),
  'lesson.exercise.explain': m(
    (p: { title: string; summary: string; files: string }) => `\nExercise: ${p.title}\n  ${p.summary}\n  Edit: ${p.files}`,
    (p) => `\n练习：${p.title}\n  ${p.summary}\n  要修改的文件：${p.files}`,
  ),
  'lesson.exercise.grade': m(
    (p: { id: string; where: string }) =>
      `\nGrade your work (each failure of the same exercise test shows one more hint):\n  npm run lesson ${p.id} -- --watch    (again on every save)\n  npm run grade -- ${p.id} ${p.where}`,
    (p) =>
      `\n给你的作业评分（同一个练习测试每多失败一次，就多显示一条提示）：\n  npm run lesson ${p.id} -- --watch    （每次保存都再评一次）\n  npm run grade -- ${p.id} ${p.where}`,
  ),
  'lesson.reset.cannotMove': m(
    (p: { where: string; error: string }) => `lesson: could not move ${p.where} aside: ${p.error} (is a program still running from it?)`,
    (p) => `lesson: 无法把 ${p.where} 移到一旁：${p.error}（是不是还有程序在从那里运行？）`,
  ),
  'lesson.reset.moved': m(
    (p: { backup: string }) => `Moved your work to ${p.backup}/ (a backup: nothing is deleted).`,
    (p) => `已把你的作业移到 ${p.backup}/（这是备份：什么都没有删除）。`,
  ),
  'lesson.watch.noFolder': m(
    (p: { where: string; id: string }) =>
      `lesson: ${p.where} does not exist yet; start the exercise with: npm run lesson ${p.id} -- --exercise`,
    (p) => `lesson: ${p.where} 还不存在；先开始练习：npm run lesson ${p.id} -- --exercise`,
  ),
  'lesson.watch.grading': m(
    (p: { id: string; where: string }) => `grading: npm run grade -- ${p.id} ${p.where}`,
    (p) => `评分：npm run grade -- ${p.id} ${p.where}`,
  ),
  'lesson.watch.waiting': m(
    (p: { where: string }) => `waiting for you to save a file in ${p.where} (Ctrl-C ends)`,
    (p) => `等你保存 ${p.where} 里的文件（按 Ctrl-C 结束）`,
  ),
  'lesson.watch.watching': m(
    (p: { where: string; polling: boolean }) =>
      `watching ${p.where}${p.polling ? ' (looking for changes every second)' : ''}: it is graded now and after every save`,
    (p) => `正在监视 ${p.where}${p.polling ? '（每秒检查一次改动）' : ''}：现在评一次分，之后每次保存都再评一次`,
  ),
  'lesson.watch.stopped': { en: 'stopped watching', zh: '已停止监视' },
  'lesson.run.demoTimeout': m(
    (p: { seconds: number }) => `the demo did not finish within ${p.seconds} s`,
    (p) => `演示在 ${p.seconds} 秒内没有结束`,
  ),
  'lesson.run.error': m(
    (p: { reason: string }) => `error: ${p.reason}`,
    (p) => `出错：${p.reason}`,
  ),
  'lesson.run.interrupted': m(
    (p: { signal: string }) => `${p.signal}: every program has stopped`,
    (p) => `${p.signal}：所有程序都已停止`,
  ),
  'lesson.run.done': { en: 'done: every program finished', zh: '完成：所有程序都已结束' },
  'lesson.run.ended': m(
    (p: { role: string; how: string }) => `the ${p.role} ${p.how}`,
    (p) => `${p.role} ${p.how}`,
  ),
  'lesson.run.leftWaiting': m(
    (p: { ended: string[]; waiting: string[] }) =>
      `${p.ended.join(' and ')} before the ${p.waiting.join(' and ')} ${p.waiting.length > 1 ? 'were' : 'was'} done; stopped the ${p.waiting.join(' and ')}`,
    (p) => `${p.ended.join('，')}，而这时 ${p.waiting.join(' 和 ')} 还没有结束；已停止 ${p.waiting.join(' 和 ')}`,
  ),
  'lesson.run.nothingTyped': m(
    (p: { parts: string[]; id: string }) =>
      `nothing was typed: ${p.parts.join('; ')} (type a line next time, or watch the demo: npm run lesson ${p.id} -- --demo)`,
    (p) => `没有输入任何内容：${p.parts.join('；')}（下次请输入一行，或者看演示：npm run lesson ${p.id} -- --demo）`,
  ),
  'lesson.run.parts': m(
    (p: { parts: string[] }) => p.parts.join('; '),
    (p) => p.parts.join('；'),
  ),
  'lesson.run.demoInput': m(
    (p: { role: string; line: string }) => `demo input for ${p.role}: ${p.line}`,
    (p) => `给 ${p.role} 的演示输入：${p.line}`,
  ),
  'lesson.run.readyLine': { en: 'its ready line "listening on HOST:PORT"', zh: '它的就绪行 "listening on HOST:PORT"' },
  'lesson.run.lineMatching': m(
    (p: { pattern: string }) => `a line matching ${p.pattern}`,
    (p) => `与 ${p.pattern} 匹配的一行`,
  ),
  'lesson.run.notPrinted': m(
    (p: { role: string; what: string; seconds: number }) => `${p.role} did not print ${p.what} within ${p.seconds} s`,
    (p) => `${p.role} 在 ${p.seconds} 秒内没有打印 ${p.what}`,
  ),
  'lesson.run.exitedBefore': m(
    (p: { role: string; how: string; what: string }) => `${p.role} ${p.how} before printing ${p.what}`,
    (p) => `${p.role} 在打印 ${p.what} 之前就${p.how}`,
  ),
  'lesson.run.cannotStart': m(
    (p: { error: string }) => `lesson: could not start a program: ${p.error}`,
    (p) => `lesson: 无法启动程序：${p.error}`,
  ),
  'lesson.typeFor': m(
    (p: { role: string }) => `type a line for ${p.role}`,
    (p) => `请为 ${p.role} 输入一行`,
  ),
  'lesson.typeForOther': m(
    (p: { role: string }) => `; start a line with @${p.role} to type for ${p.role}`,
    (p) => `；以 @${p.role} 开头的一行交给 ${p.role}`,
  ),
  'lesson.prompt': m(
    (p: { hint: string; others: string }) => `${p.hint}${p.others} (Ctrl-D ends the input, Ctrl-C stops everything)`,
    (p) => `${p.hint}${p.others}（Ctrl-D 结束输入，Ctrl-C 停止所有程序）`,
  ),
  'lesson.noSuchRole': m(
    (p: { role: string; roles: string[] }) => `no interactive role '${p.role}'; the roles you can type for: ${p.roles.join(', ')}`,
    (p) => `没有交互式角色 '${p.role}'；你可以为这些角色输入：${p.roles.join(', ')}`,
  ),
  'lesson.end.running': { en: 'is still running', zh: '还在运行' },
  'lesson.end.killed': m(
    (p: { signal: string }) => `was killed by ${p.signal}`,
    (p) => `被 ${p.signal} 终止了`,
  ),
  'lesson.end.ended': m(
    (p: { code: number | null }) => `ended (exit code ${p.code})`,
    (p) => `结束了（退出码 ${p.code}）`,
  ),
  'lesson.end.exited': m(
    (p: { code: number | null }) => `exited with code ${p.code}`,
    (p) => `以退出码 ${p.code} 退出了`,
  ),

  // ---- npm run grade (scripts/grade.ts) ----
  'grade.usage': m(
    (p: { cores: number }) => `usage: npm run grade -- LESSON FOLDER... [options]
       npm run grade -- --lesson all FOLDER... [options]
FOLDER is one student's folder (the lesson's programs, or programs.json naming a command per role)
or a folder of student folders. LESSON is its full name, number (04) or slug (tcp-server).
options:
  --lesson NAME          the lesson, instead of the first argument; "all": every lesson, for every student
  --assignment KIND      exercise (default): the student changed the lesson's programs; the exercise's tests
                         score, and each lesson test they break costs points. port: the student wrote the
                         programs from scratch (any language); the lesson's tests score
  --rubric FILE.json     points per test or group, the regression penalty, the assignment (over the manifest's)
  --with-reference ROLE  a role the folder lacks runs the lesson's own program (repeat, or ROLE,ROLE; all)
  --min-score N          exit 1 when any score is below N (0-100), for a class's CI
  --jobs N               folders graded at once (default: the number of cores, ${p.cores})
  --report DIR           write grade-report.json and grade-report.csv into DIR (made if need be)
                         (default: the current folder, when more than one folder is graded)
  --timeout S            stop the tests of one folder after S seconds (default 180)
  --format F             also write F into the report folder: gradescope, exercism or junit (repeatable)
  --shard K/N            grade only part K of N of the submissions (merge the parts' reports with
                         npm run grade -- merge REPORT...)
  --only NAME            run only the test named NAME (repeatable)
  --faults SPEC          run the tests with every connection through a relay that misbehaves on purpose,
                         e.g. slicer (each write cut into small pieces); see README.md, "The wire"
  --seed N               the same random choices of the faults every run
  --run-unchanged        in an exercise, also run the lesson tests that start only files the student left
                         as the lesson has them (by default they are listed as not run: same files, same result)
  --lang en|zh           the language of the messages (default: from LC_ALL, LC_MESSAGES or LANG)
  --help`,
    (p) => `用法：npm run grade -- 课 文件夹... [选项]
       npm run grade -- --lesson all 文件夹... [选项]
文件夹是一个学生的文件夹（本课的程序，或者为每个角色指定一条命令的 programs.json），
或者一个装着许多学生文件夹的文件夹。课可以写全名、编号（04）或简称（tcp-server）。
选项：
  --lesson NAME          指定课，代替第一个参数；"all"：每一课，每一个学生
  --assignment KIND      exercise（默认）：学生修改了本课的程序；练习的测试计分，
                         每弄坏一个本课的测试就扣分。port：学生从头写出这些程序（任何语言）；本课的测试计分
  --rubric FILE.json     每个测试或每组测试的分值、回归的扣分、作业类型（覆盖课程清单里的设置）
  --with-reference ROLE  文件夹里缺少的角色改用本课自己的程序（可重复，或写成 ROLE,ROLE；all 表示全部）
  --min-score N          任何一个分数低于 N（0-100）时以 1 退出，供班级的 CI 使用
  --jobs N               同时评分的文件夹个数（默认：CPU 核数，${p.cores}）
  --report DIR           把 grade-report.json 和 grade-report.csv 写到 DIR（需要时创建）
                         （默认：评分的文件夹多于一个时，写到当前文件夹）
  --timeout S            一个文件夹的测试运行 S 秒后停止（默认 180）
  --format F             另外把 F 写到报告文件夹：gradescope、exercism 或 junit（可重复）
  --shard K/N            只给 N 份提交中的第 K 份评分（用 npm run grade -- merge REPORT... 合并各份的报告）
  --only NAME            只运行名为 NAME 的测试（可重复）
  --faults SPEC          让每条连接都经过一个故意出错的中继（relay）来运行测试，例如 slicer
                         （把每次写入切成小块）；见 README.zh-CN.md 的“线路”一节
  --seed N               每次运行时，故障的随机选择都相同
  --run-unchanged        练习中，也运行只启动学生未改动文件（与本课的文件逐字节相同）的本课测试
                         （默认把它们列为未运行：文件相同，结果也相同）
  --lang en|zh           消息的语言（默认：由 LC_ALL、LC_MESSAGES 或 LANG 决定）
  --help`,
  ),
  'grade.giveLesson': {
    en: 'give a lesson and at least one folder (npm run grade -- --help)',
    zh: '请给出一课和至少一个文件夹（npm run grade -- --help）',
  },
  'grade.skippedBroken': m(
    (p: { problem: string }) => `grade: skipped, broken: ${p.problem}`,
    (p) => `grade: 已跳过，已损坏：${p.problem}`,
  ),
  'grade.assignment': m(
    (p: { value: string }) => `--assignment must be exercise or port, not '${p.value}'`,
    (p) => `--assignment 只能是 exercise 或 port，不能是 '${p.value}'`,
  ),
  'grade.rubricOneLesson': m(
    (p: { file: string }) => `${p.file}: /points: a rubric with points is for one lesson, not all`,
    (p) => `${p.file}: /points：带分值的评分标准只能用于一课，不能用于 all`,
  ),
  'grade.noRole': m(
    (p: { role: string; near?: string | undefined; roles: string[] }) =>
      `--with-reference: '${p.role}' is no role${p.near ? ` (did you mean '${p.near}'?)` : ` (the roles are: ${p.roles.join(', ')}, or all)`}`,
    (p) =>
      `--with-reference：'${p.role}' 不是角色${p.near ? `（你是不是想写 '${p.near}'？）` : `（角色有：${p.roles.join(', ')}，或者 all）`}`,
  ),
  'grade.stopped': m(
    (p: { signal: string }) => `grade: ${p.signal}: stopped; writing what was graded so far`,
    (p) => `grade: ${p.signal}：已停止；正在写出到目前为止的评分`,
  ),
  'grade.failed': m(
    (p: { error: string }) => `grade: the grader failed: ${p.error}`,
    (p) => `grade: 评分器出错了：${p.error}`,
  ),
  'grade.grading': m(
    (p: { count: number; jobs: number }) => `grading ${p.count} folder${p.count === 1 ? '' : 's'} (${p.jobs} at a time)`,
    (p) => `正在评分 ${p.count} 个文件夹（每次 ${p.jobs} 个）`,
  ),
  'grade.belowMin': m(
    (p: { count: number; min: number | undefined }) =>
      `grade: ${p.count} score${p.count === 1 ? ' is' : 's are'} below --min-score ${p.min}`,
    (p) => `grade: 有 ${p.count} 个分数低于 --min-score ${p.min}`,
  ),
  'grade.cannotWrite': m(
    (p: { dir: string; error: string }) => `grade: could not write the report to ${p.dir}: ${p.error}`,
    (p) => `grade: 无法把报告写到 ${p.dir}：${p.error}`,
  ),
  'grade.summary': m(
    (p: { score: number; partial: boolean; regressions: number; seconds: number }) =>
      `${p.score}${p.partial ? ' (partial)' : ''}${p.regressions > 0 ? `, ${p.regressions} regression${p.regressions === 1 ? '' : 's'}` : ''} in ${p.seconds} s`,
    (p) => `${p.score} 分${p.partial ? '（不完整）' : ''}${p.regressions > 0 ? `，${p.regressions} 个回归` : ''}，用时 ${p.seconds} 秒`,
  ),
  'grade.programs': m(
    (p: { programs: string }) => `  programs: ${p.programs}`,
    (p) => `  程序：${p.programs}`,
  ),
  'grade.lessonsOwn': { en: " (the lesson's)", zh: '（本课自带的）' },
  'grade.notRun': m(
    (p: { count: number; why: string | undefined }) => `  not run: ${p.count} tests (${p.why})`,
    (p) => `  未运行：${p.count} 个测试（${p.why}）`,
  ),
  'grade.underFaults': m(
    (p: { spec: string; seed: number | undefined }) =>
      `  under faults: ${p.spec}${p.seed !== undefined ? `, seed ${p.seed}` : ''} (every connection went through a relay)`,
    (p) => `  在故障下运行：${p.spec}${p.seed !== undefined ? `，seed ${p.seed}` : ''}（每条连接都经过了一个中继）`,
  ),
  'grade.skipUnderFaults': m(
    (p: { suite: string; name: string }) => `  skip  [${p.suite}, note] ${p.name}`,
    (p) => `  跳过  [${p.suite}，说明] ${p.name}`,
  ),
  'grade.label.checks': { en: 'checks: ', zh: '检查的是：' },
  'grade.label.command': { en: 'command: ', zh: '命令：' },
  'grade.label.input': { en: 'input: ', zh: '输入：' },
  'grade.label.output': { en: 'output:', zh: '输出：' },
  'grade.score': m(
    (p: {
      score: number;
      assignment: string;
      points: number;
      maxPoints: number;
      exerciseDone: boolean | null;
      regressions: number;
      same: number;
      seconds: number;
      status: string;
    }) =>
      `\nscore: ${p.score} (${p.assignment}: ${p.points} of ${p.maxPoints} points, ${p.exerciseDone === null ? '' : `exercise ${p.exerciseDone ? 'done' : 'not done'}, `}${p.regressions} regression${p.regressions === 1 ? '' : 's'}, ${p.same > 0 ? `${p.same} not run (same as the lesson), ` : ''}${p.seconds} s)${p.status === 'graded' ? '' : ` — ${p.status}`}`,
    (p) =>
      `\n得分：${p.score}（${p.assignment}：${p.maxPoints} 分中得 ${p.points} 分，${p.exerciseDone === null ? '' : `练习${p.exerciseDone ? '已完成' : '未完成'}，`}${p.regressions} 个回归，${p.same > 0 ? `${p.same} 个未运行（与本课相同），` : ''}${p.seconds} 秒）${p.status === 'graded' ? '' : ` — ${p.status}`}`,
  ),
  'grade.sameAsLesson': m(
    (p: { suite: string; name: string }) => `  same  [${p.suite}, not run] ${p.name}`,
    (p) => `  相同  [${p.suite}，未运行] ${p.name}`,
  ),
  'grade.sameWhy': {
    en: "same as the lesson: these tests start only files that are the lesson's own, byte for byte, so their result is the lesson's, which npm test checks (--run-unchanged runs them)",
    zh: '与本课相同：这些测试只启动与本课的文件逐字节相同的文件，结果只能与本课相同，而 npm test 已经检查过本课（--run-unchanged 会运行它们）',
  },
  'grade.passes': m(
    (p: { diffs: string[] }) => `\nThe exercise passes. Compare with the reference solution: ${p.diffs.join('; ')}`,
    (p) => `\n练习通过了。和参考答案比较一下：${p.diffs.join('；')}`,
  ),
  'grade.hint': m(
    (p: { n: number; of: number; hint: string }) => `hint ${p.n} of ${p.of}: ${p.hint}`,
    (p) => `提示 ${p.n}/${p.of}：${p.hint}`,
  ),
  'grade.reports': m(
    (p: { partial: boolean; json: string; csv: string }) => `\nreports${p.partial ? ' (partial)' : ''}: ${p.json}, ${p.csv}`,
    (p) => `\n报告${p.partial ? '（不完整）' : ''}：${p.json}, ${p.csv}`,
  ),

  // ---- the grader's advice per kind of failure (scripts/grader.ts) ----
  'advice.who': m(
    (p: { role: string; file: string | undefined }) => `the ${p.role} (${p.file})`,
    (p) => `${p.role}（${p.file}）`,
  ),
  'advice.theProgram': { en: 'the program', zh: '这个程序' },
  'advice.it': { en: 'it', zh: '它' },
  'advice.seconds': m(
    (p: { seconds: number }) => `${p.seconds} s`,
    (p) => `${p.seconds} 秒`,
  ),
  'advice.timeLimit': {
    en: 'The tests were stopped at the time limit — does a program wait for input or a connection for ever?',
    zh: '测试到了时间上限被停止了——是不是有程序在无限期地等待输入或连接？',
  },
  'advice.busy': m(
    (p: { busy: string; who: string; seconds: string; what: string; file: string }) =>
      `${p.busy} kept the CPU busy while ${p.who} waited ${p.seconds} for ${p.what} — look for a loop in ${p.file} that never waits for the network.`,
    (p) => `${p.who} 等待 ${p.what} 的 ${p.seconds} 里，${p.busy} 一直占着 CPU——找一找 ${p.file} 里从不等待网络的循环。`,
  ),
  'advice.peerRunning': m(
    (p: { who: string; what: string | undefined; seconds: string; peer: string; file: string }) =>
      `${p.who} did not print ${p.what} within ${p.seconds} while ${p.peer} still ran: did ${p.file} answer? Compare both programs' output with "What the programs print" in the lesson's README.`,
    (p) =>
      `${p.peer} 还在运行，${p.who} 却在 ${p.seconds} 内没有打印 ${p.what}：${p.file} 回答了吗？把两个程序的输出和本课 README 中的“程序打印什么”比较一下。`,
  ),
  'advice.wrongPort': {
    en: 'It must bind the port given by --port and print that port in its ready line.',
    zh: '它必须绑定 --port 给出的端口，并在就绪行里打印这个端口。',
  },
  'advice.flooded': {
    en: 'It printed far more than the lesson asks for and was stopped — look for a loop that prints without waiting.',
    zh: '它打印的内容远远超出了本课的要求，因而被停止了——找一找不等待就打印的循环。',
  },
  'advice.leftProcess': { en: 'It started a process and exited without stopping it.', zh: '它启动了一个进程，退出时却没有停止它。' },
  'advice.didNotStart': m(
    (p: { who: string }) =>
      `${p.who} did not start — its stderr below says why (a syntax error, a missing module, or a command that is not installed?).`,
    (p) => `${p.who} 没有启动——下面它的 stderr 说明了原因（语法错误、缺少模块，还是命令没有安装？）。`,
  ),
  'advice.noReadyLine': m(
    (p: { who: string; seconds: string }) =>
      `${p.who} printed no ready line within ${p.seconds} — does it print \`listening on HOST:PORT\` after binding \`--port\`?`,
    (p) => `${p.who} 在 ${p.seconds} 内没有打印就绪行——它绑定 \`--port\` 之后打印 \`listening on HOST:PORT\` 了吗？`,
  ),
  'advice.exitedWaiting': m(
    (p: { who: string; actual: string | undefined; what: string | undefined }) =>
      `${p.who} ended (${p.actual}) while the test waited for ${p.what} — its stderr below says why.`,
    (p) => `测试还在等待 ${p.what} 时，${p.who} 就结束了（${p.actual}）——下面它的 stderr 说明了原因。`,
  ),
  'advice.exitedEarly': m(
    (p: { who: string; actual: string | undefined; what: string | undefined }) =>
      `${p.who} ended (${p.actual}) before printing ${p.what} — its stderr below says why.`,
    (p) => `${p.who} 在打印 ${p.what} 之前就结束了（${p.actual}）——下面它的 stderr 说明了原因。`,
  ),
  'advice.wrongOutput': m(
    (p: { who: string; what: string | undefined; seconds: string }) =>
      `${p.who} did not print ${p.what} within ${p.seconds} — compare its output with "What the programs print" in the lesson's README.`,
    (p) => `${p.who} 在 ${p.seconds} 内没有打印 ${p.what}——把它的输出和本课 README 中的“程序打印什么”比较一下。`,
  ),
  'advice.wrongExitCode': m(
    (p: { who: string; expected: string | undefined; actual: string | undefined }) =>
      `${p.who} should exit with code ${p.expected} but ${p.actual} — a wrong flag exits 2 and an error the user caused exits 1, each with one line on stderr.`,
    (p) =>
      `${p.who} 应该以退出码 ${p.expected} 退出，实际却是 ${p.actual}——参数错误以 2 退出，用户造成的错误以 1 退出，都在 stderr 上打印一行。`,
  ),
  'advice.wrongStderr': m(
    (p: { who: string; actual: string | undefined }) =>
      `${p.who} printed ${p.actual} lines on stderr — one clear line, no stack trace (catch the error and print its meaning).`,
    (p) => `${p.who} 在 stderr 上打印了 ${p.actual} 行——应该只有清楚的一行，没有调用栈（捕获错误，打印它的含义）。`,
  ),
  'advice.wrongErrorLine': m(
    (p: { who: string; expected: string | undefined }) => `${p.who}'s error line does not say what the test expects (${p.expected}).`,
    (p) => `${p.who} 的错误行没有说出测试期望的内容（${p.expected}）。`,
  ),
  'advice.refused': {
    en: 'Nothing accepted the connection on the port of the ready line — does it print the port it really bound?',
    zh: '就绪行里的端口上没有谁接受连接——它打印的是真正绑定的端口吗？',
  },
  'advice.timedOutFrom': m(
    (p: { seconds: string; what: string | undefined; who: string }) =>
      `Nothing happened within ${p.seconds} while the test waited for ${p.what} from ${p.who}.`,
    (p) => `测试等待 ${p.who} 的 ${p.what}，${p.seconds} 内什么也没有发生。`,
  ),
  'advice.timedOut': m(
    (p: { seconds: string; what: string | undefined }) => `Nothing happened within ${p.seconds} while the test waited for ${p.what}.`,
    (p) => `测试等待 ${p.what}，${p.seconds} 内什么也没有发生。`,
  ),
});
