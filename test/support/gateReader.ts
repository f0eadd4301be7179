/** Reads the command lines a serial gate driver writes (CRLF-terminated) from the other side of a pty. */
import { SerialPort } from 'serialport';

export function readGateLines(path: string): { lines: string[]; close: () => Promise<void> } {
  const lines: string[] = [];
  let buf = '';
  const port = new SerialPort({ path, baudRate: 9600 });
  port.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 2);
    }
  });
  return { lines, close: () => new Promise((r) => (port.isOpen ? port.close(() => r()) : r())) };
}
