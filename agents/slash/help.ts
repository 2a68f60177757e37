/** /help and /help <command>, generated from the same tool schemas the grammar parses with. */
import { commandByName, SLASH_COMMANDS, type SlashCommand } from './commands.js';
import { type Field, fieldsOf } from './fields.js';

function placeholder(field: Field): string {
  switch (field.kind) {
    case 'enum':
      return (field.values ?? []).length <= 4 ? (field.values ?? []).join('|') : field.name;
    case 'list':
      return `${field.name.replace(/s$/, '')},…`;
    default:
      return field.name;
  }
}

/** `/backtest <strategy> <symbols,…> [start] [end] [key=value …]` */
export function usageLine(command: SlashCommand): string {
  if (command.kind === 'engine') return command.usage;
  const fields = fieldsOf(command.tool);
  const positional = command.positional
    .filter((name) => !(command.preset && name in command.preset))
    .map((name) => {
      const field = fields.find((f) => f.name === name) as Field;
      const required = field.required && !command.filled?.includes(name);
      return required ? `<${placeholder(field)}>` : `[${placeholder(field)}]`;
    });
  const named = fields.some(
    (field) =>
      !command.positional.includes(field.name) && !(command.preset && field.name in command.preset),
  );
  return [`/${command.name}`, ...positional, ...(named ? ['[key=value …]'] : [])].join(' ');
}

function fieldLine(command: SlashCommand & { kind: 'tool' }, field: Field): string {
  const flags = [
    field.required && !command.filled?.includes(field.name) ? 'required' : undefined,
    field.default !== undefined ? `default ${JSON.stringify(field.default)}` : undefined,
    field.kind === 'enum' ? `one of ${(field.values ?? []).join(', ')}` : undefined,
  ].filter(Boolean);
  return `  ${field.name}=${field.kind === 'pairs' ? `${field.pair?.key}:${field.pair?.value},…` : field.kind}${flags.length ? ` (${flags.join('; ')})` : ''} — ${field.description}`;
}

/** The whole help, or one command's: usage line, summary, each argument. */
export function helpText(name?: string): string {
  if (name !== undefined && name.trim() !== '') {
    const command = commandByName(name.replace(/^\//, ''));
    if (!command) return `no command /${name.slice(0, 40)}; /help lists the commands`;
    if (command.kind === 'engine') return `${command.usage}\n${command.summary}`;
    const preset = Object.entries(command.preset ?? {}).map(([k, v]) => `${k}=${String(v)}`);
    return [
      usageLine(command),
      `${command.summary}${command.name !== command.tool.name ? ` (tool ${command.tool.name}${preset.length ? `, ${preset.join(' ')}` : ''})` : ''}`,
      'Arguments:',
      ...fieldsOf(command.tool)
        .filter((field) => !(command.preset && field.name in command.preset))
        .map((field) => fieldLine(command, field)),
    ].join('\n');
  }
  const aliases = SLASH_COMMANDS.filter(
    (command) => command.kind === 'engine' || command.name !== command.tool.name,
  );
  const tools = SLASH_COMMANDS.filter(
    (command) => command.kind === 'tool' && command.name === command.tool.name,
  );
  return [
    'Commands (type /help <command> for its arguments):',
    ...aliases.map((command) => `  ${usageLine(command).padEnd(46)} ${command.summary}`),
    `Every tool also answers to its own name: ${tools.map((command) => `/${command.name}`).join(', ')}.`,
    'Values: lists as AAPL,MSFT; dates YYYY-MM-DD; quote text with spaces: sector="Information Technology".',
  ].join('\n');
}
