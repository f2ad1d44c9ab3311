import { describeFingerprint, visualFingerprint } from '@/lib/ui/fingerprint';

/**
 * A row of coloured blocks derived from the whole commit id. Drawn as SVG with fill
 * attributes (not style attributes) so that a strict CSP without 'unsafe-inline' allows it.
 */
export function Fingerprint({ id, size = 'md' }: { id: string; size?: 'sm' | 'md' }) {
  const colours = visualFingerprint(id);
  const cell = size === 'sm' ? 10 : 22;
  const gap = size === 'sm' ? 2 : 4;
  const width = colours.length * cell + (colours.length - 1) * gap;
  return (
    <svg
      role="img"
      aria-label={`Visual fingerprint: ${describeFingerprint(id)}`}
      width={width}
      height={cell}
      viewBox={`0 0 ${width} ${cell}`}
      className="shrink-0"
    >
      {colours.map((c, i) => (
        <rect key={i} x={i * (cell + gap)} y={0} width={cell} height={cell} rx={size === 'sm' ? 2 : 5} fill={c.hex} />
      ))}
    </svg>
  );
}
