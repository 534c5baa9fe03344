export { USERS_USAGE, usersCommand } from './users-command.js';
