import type { Stage } from './ops.js';

/** Stages that run as one: a barrier stage and the stages after it that need none. */
export interface Wave {
  title: string;
  stages: Stage[];
}

/**
 * Groups stages into waves: a stage without a barrier joins the wave before
 * it, so a namespace's addresses, routes and sysctls go in one batch.
 */
export function wavesOf(stages: Stage[]): Wave[] {
  const waves: Wave[] = [];
  for (const stage of stages) {
    const last = waves[waves.length - 1];
    if (last && !stage.barrier) last.stages.push(stage);
    else waves.push({ title: '', stages: [stage] });
  }
  for (const w of waves) w.title = w.stages.map((s, i) => (i === 0 ? s.title : s.title.charAt(0).toLowerCase() + s.title.slice(1))).join('; ');
  return waves;
}
