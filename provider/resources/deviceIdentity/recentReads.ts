/**
 * Devices this process has just read, handed to the step that adopts them next.
 *
 * A fleet's import step reads the device its import registered until Graph shows it (so its
 * `autopilotDeviceId` output names a device others can read); the device step that depends on
 * that output starts moments later and would GET the same device again to see what to write. It
 * takes the import step's read instead: one GET fewer per device.
 *
 * Why that is honest: the read is this process's own, of a device registered seconds ago, and it
 * only decides which fields to write; every write is still read back until Graph shows it
 * (lifecycle/handler.ts). A read is handed over once (a second adopter of the device GETs it
 * itself) and only while it is younger than {@link RECENT_READ_MAX_AGE_MS}.
 */
import { Kept } from "../../graph/combiner";
import type { Props } from "../../lifecycle/values";

/**
 * How long a read may be handed over, ms. Under `pulumi up --parallel` a device step waits for an
 * operation slot and can start well over a minute after its import step's read: with 30 s, a
 * 10,000-device apply at `--parallel 2000` sent about 7,000-8,800 device GETs again (20 % more requests).
 */
export const RECENT_READ_MAX_AGE_MS = 120_000;
/** At most this many reads are kept (the oldest go first): a device nobody adopts is not kept for ever. */
export const RECENT_READS_KEPT = 10_000;

/** The devices a session read, by id (`at`: when, from the step's clock), each handed over once. */
export function recentReads(): Kept<Props> {
    return new Kept<Props>({ maxAgeMs: RECENT_READ_MAX_AGE_MS, capacity: RECENT_READS_KEPT });
}
