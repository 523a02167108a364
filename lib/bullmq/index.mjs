// ESM entry of nativepool/bullmq: the same objects as require('nativepool/bullmq').
import bullmq from './index.js';

export default bullmq;
export const { RemotePool, serveQueue, QueueServer, bullPriority, CANCEL_EVENT } = bullmq;
