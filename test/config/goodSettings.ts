/** The smallest good settings of a bus reader (YAML), naming `trust.json` beside the file. */
export const GOOD_BUS_SETTINGS = `
deviceId: bus-1
mode: bus
place: route-1
direction: board
scanner: { path: /dev/ttyACM0 }
trust: { file: trust.json }
dataDir: ./data
fare: { bus: { adult: 200 } }
`;
