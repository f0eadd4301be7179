/**
 * Reads a fare file (YAML or JSON, docs/fares.md) and checks it with the fare-file schema
 * (src/pricing/fareFile.ts). Not pure: it reads the file. Every problem is listed with the path
 * of the bad field (FARE_FILE_INVALID, FG-604).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FaregateError, errorMessage, systemErrorCode } from '../errors/faregateError.ts';
import { packagePath } from '../platform/packageRoot.ts';
import { parseFareFile, type FareFile } from '../pricing/fareFile.ts';

/** The example fare file shipped with the package (config/fares.example.yaml): the report's default. */
export function exampleFareFilePath(): string {
  return packagePath('config', 'fares.example.yaml');
}

/** The text of a fare file parsed (YAML, of which JSON is a part) and checked. */
export function fareFileFromText(text: string, name: string): FareFile {
  let input: unknown;
  try {
    input = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new FaregateError('FARE_FILE_INVALID', `${name}: not valid YAML or JSON (${errorMessage(e).split('\n')[0]})`);
  }
  return parseFareFile(input, name);
}

/** Reads and checks the fare file at `file`. */
export function loadFareFile(file: string): FareFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const why = systemErrorCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e);
    throw new FaregateError('FARE_FILE_INVALID', `fare file ${file}: ${why}`, { cause: e });
  }
  return fareFileFromText(text, `fare file ${file}`);
}
