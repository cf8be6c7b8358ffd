interface Props {
  collapsed?: boolean;
}

export function Logo({ collapsed }: Props) {
  return (
    <div className="siyu-logo">
      <span className="siyu-logo-mark">私域</span>
      {collapsed ? null : <span className="siyu-logo-text">siyu</span>}
    </div>
  );
}
