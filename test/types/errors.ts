// Usages that must NOT compile: each line is checked to fail by
// test/js/types.test.js through @ts-expect-error (tsc fails if it compiles).
import Pool = require('nativepool');

const pool = new Pool<number, string>({ filename: '/tmp/w.js' });

// @ts-expect-error maxQueue is a number or 'auto'
new Pool({ maxQueue: 'many' });
// @ts-expect-error runtime is 'thread' or 'process'
new Pool({ runtime: 'fork' });
// @ts-expect-error minThreads is a number
new Pool({ minThreads: '2' });
// @ts-expect-error unknown option
new Pool({ maxThread: 2 });
// @ts-expect-error the typed pool's result is a string
const n: Promise<number> = pool.run(1);
// @ts-expect-error the typed pool's task is a number
void pool.run('x');
// @ts-expect-error priority is a number
void pool.run(1, { priority: 'high' });
// @ts-expect-error transferList holds buffers, not strings
void pool.run(1, { transferList: ['x'] });
// @ts-expect-error force is a boolean
void pool.close({ force: 1 });
// @ts-expect-error buffer() takes a size
Pool.buffer('1k');
// @ts-expect-error move() takes a transferable
Pool.move('text');
void n;
