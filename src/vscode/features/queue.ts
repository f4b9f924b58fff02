// Bundle "queue": reading chasquid's queue and the actions on a queued message.
export { readQueue } from '../../core/queue';
export { deleteFromQueueAction, showHeadersAction } from '../queue/queue-actions';
