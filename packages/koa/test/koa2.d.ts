// Koa 2 is installed under the alias `koa2` to run the suites on both majors; @types/koa covers both.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
