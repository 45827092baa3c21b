// Helpers of the API client that need no server.

import test from 'ava';
import { ApiError, findApiError } from '../../api/client.js';

test('findApiError walks the cause chain', (t) => {
  const conflict = new ApiError({ code: 409, reason: 'Conflict', message: 'the object has been modified' }, 'PUT', '/api/v1/nodes/a');
  t.is(findApiError(conflict), conflict);
  t.is(findApiError(new Error('register hollow node a', { cause: new Error('wrapped', { cause: conflict }) })), conflict);
  t.is(findApiError(new Error('connect ECONNREFUSED 127.0.0.1:6443')), undefined);
  t.is(findApiError('not an error'), undefined);
});
