// The lz4 package ships no types; lz4.ts states the part of it that it uses (Lz4Native).
declare module 'lz4' {
  const lz4: unknown;
  export default lz4;
}
