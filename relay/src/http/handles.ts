// Optional @handles: one per user, unique per relay, looked up without authentication.
import { Handle, ProtocolError, SetHandleRequest } from '@parley/common/protocol';
import { Hono } from 'hono';
import type { RelayContext } from '../context.ts';
import { parseJson, readBodyBytes } from './body.ts';
import { type ReplayCache, requireDevice, sha256B64 } from './signature.ts';

export function handleRoutes(ctx: RelayContext, replay: ReplayCache): Hono {
  const app = new Hono();

  app.put('/handle', async (c) => {
    const bytes = await readBodyBytes(c, ctx.config.limits.maxBodyBytes);
    const { handle } = parseJson(bytes, SetHandleRequest);
    const device = await requireDevice(ctx, replay, c, sha256B64(bytes));
    if (!(await ctx.store.claimHandle(handle, device.userId))) throw new ProtocolError('handle_taken');
    return c.json({ handle, userId: device.userId });
  });

  app.delete('/handle', async (c) => {
    const device = await requireDevice(ctx, replay, c, sha256B64(new Uint8Array(0)));
    await ctx.store.releaseHandle(device.userId);
    return c.body(null, 204);
  });

  app.get('/handles/:handle', async (c) => {
    const handle = Handle.safeParse(c.req.param('handle'));
    if (!handle.success) throw new ProtocolError('bad_request', 'Handles are 3-32 of a-z, 0-9, _.');
    const userId = await ctx.store.lookupHandle(handle.data);
    if (!userId) throw new ProtocolError('not_found', 'No user holds that handle.');
    return c.json({ handle: handle.data, userId });
  });

  return app;
}
