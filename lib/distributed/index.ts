export { joinGroup, type Group, type GroupOptions } from './group.ts';
