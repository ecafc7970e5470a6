import type { Batch, Labels, MetricSet } from '../core/batch.js';
import { newMetricSet } from '../core/batch.js';
import type { EntityType } from '../core/keys.js';
import { LABEL_TYPE } from '../core/labels.js';
import { metricDescriptor } from '../core/metrics.js';

/**
 * A list of metric names to sum, with each name's int-ness resolved once from the catalogue
 * (`int64` descriptors; names unknown to the catalogue are summed as plain numbers).
 */
export interface SumPlan {
  readonly names: readonly string[];
  readonly int: readonly boolean[];
}

/** Resolves `names` against the catalogue once, so the hot loop does no descriptor look-ups. */
export function sumPlan(names: readonly string[]): SumPlan {
  return Object.freeze({
    names: Object.freeze([...names]),
    int: Object.freeze(names.map((n) => metricDescriptor(n)?.valueType === 'int64')),
  });
}

/**
 * Adds `src`'s values of the plan's metrics into `dst` (a missing `dst` value starts at 0;
 * missing or non-finite `src` values are skipped). Sums of `int64` metrics are rounded so
 * they stay integers. Mutates `dst` only.
 */
export function sumInto(dst: MetricSet, src: MetricSet, plan: SumPlan): void {
  const { names, int } = plan;
  const from = src.values;
  const into = dst.values;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const v = from.get(name);
    if (v === undefined || !Number.isFinite(v)) continue;
    const prev = into.get(name);
    const sum = prev === undefined ? v : prev + v;
    into.set(name, int[i] ? Math.round(sum) : sum);
  }
}

/**
 * How to roll one entity type up into another: which sets to read (`fromType`), which
 * metrics to sum, the group each set belongs to (`groupOf`, e.g. its namespace or node name;
 * undefined skips the set), the target key of a group (`keyOf`, built once per group) and,
 * when targets may be created, their type and labels (without `type`). Without `create`,
 * sets whose target is missing from the batch are skipped.
 */
export interface RollUpSpec {
  readonly fromType: EntityType;
  readonly plan: SumPlan;
  groupOf(set: MetricSet, key: string): string | undefined;
  keyOf(group: string): string;
  readonly create?: {
    readonly type: EntityType;
    labels(set: MetricSet, key: string, group: string): Labels;
  };
}

interface Target {
  readonly set: MetricSet;
  readonly created: boolean;
}

/**
 * Sums every `fromType` set of the batch into its target (see `RollUpSpec`), mutating the
 * batch. A target created here takes scrapeTimeMs = max and collectionStartMs/createMs = min
 * of the sets summed into it; existing targets keep their times and get the sums added to
 * their values. Returns the number of sets summed.
 */
export function rollUp(batch: Batch, spec: RollUpSpec): number {
  const sets = batch.sets;
  // Per group, resolved once: the target, or null when it is missing and may not be created.
  const targets = new Map<string, Target | null>();
  let lastGroup: string | undefined;
  let last: Target | null = null;
  let summed = 0;
  // forEach, not for..of: no entry array per set (millions of sets per tick at scale).
  sets.forEach((set, key) => {
    if (set.labels[LABEL_TYPE] !== spec.fromType) return;
    const group = spec.groupOf(set, key);
    if (group === undefined) return;
    let target: Target | null | undefined = group === lastGroup ? last : targets.get(group);
    if (target === undefined) {
      const targetKey = spec.keyOf(group);
      const existing = sets.get(targetKey);
      if (existing !== undefined) {
        target = { set: existing, created: false };
      } else if (spec.create !== undefined) {
        // Adding to a Map while iterating it visits the new entry too; its type differs from
        // fromType (callers roll up into another type), so it is skipped above.
        const labels = spec.create.labels(set, key, group);
        target = { set: newMetricSet(spec.create.type, labels, set), created: true };
        sets.set(targetKey, target.set);
      } else {
        target = null;
      }
      targets.set(group, target);
    } else if (target !== null && target.created) {
      foldTimes(target.set, set);
    }
    lastGroup = group;
    last = target;
    if (target === null) return;
    sumInto(target.set, set, spec.plan);
    summed++;
  });
  return summed;
}

/** scrapeTimeMs = max, collectionStartMs and createMs = min: the span a roll-up covers. */
export function foldTimes(dst: MetricSet, src: MetricSet): void {
  if (src.scrapeTimeMs > dst.scrapeTimeMs) dst.scrapeTimeMs = src.scrapeTimeMs;
  if (src.collectionStartMs < dst.collectionStartMs) dst.collectionStartMs = src.collectionStartMs;
  if (src.createMs < dst.createMs) dst.createMs = src.createMs;
}

/** Copies the listed labels that `from` has and are non-empty into a new record. */
export function pickLabels(from: Labels, keys: readonly string[]): Labels {
  const out: Labels = {};
  for (const k of keys) {
    const v = from[k];
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}
