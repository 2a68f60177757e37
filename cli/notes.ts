/** `countersign notes add "text" [--symbol S] [--proposal ID] [--order ID] [--tag T]`: the add_note tool from the terminal (channel cli). */
import { addNote } from '../tools/add-note.js';
import { reportRunFailure } from './input-errors.js';
import { table } from './output.js';
import { callTool } from './run-tool.js';

export interface NotesAddOptions {
  symbol?: string;
  proposal?: string;
  order?: string;
  tag?: string[];
  as?: string;
  json?: boolean;
}

/** Repeatable --tag. */
export function collectTag(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export async function notesAddCommand(text: string, options: NotesAddOptions): Promise<void> {
  try {
    const output = await callTool(
      addNote,
      {
        text,
        ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
        ...(options.proposal !== undefined ? { proposal_id: options.proposal } : {}),
        ...(options.order !== undefined ? { order_id: options.order } : {}),
        ...(options.tag ? { tags: options.tag } : {}),
      },
      options.as !== undefined ? { as: options.as } : {},
    );
    if (options.json) {
      console.log(JSON.stringify(output));
      return;
    }
    console.log(
      table([
        ['Note', String(output.id)],
        [
          'About',
          [
            output.symbol,
            output.proposal_id && `proposal ${output.proposal_id}`,
            output.order_id && `order ${output.order_id}`,
          ]
            .filter(Boolean)
            .join(', ') || '(nothing in particular)',
        ],
        ['Stored', String(output.created_at)],
      ]),
    );
  } catch (error) {
    process.exitCode = reportRunFailure('notes add', error);
  }
}
