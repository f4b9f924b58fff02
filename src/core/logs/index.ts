// chasquid's logs: parsing mail log lines, recent messages, bounded line buffers.
export * from './messages';
export * from './parse';
export * from './ring-buffer';
