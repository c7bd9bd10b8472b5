// Express 4 is installed under the alias `express4` to run the conformance suite on both majors.
declare module 'express4' {
  import express from 'express';
  export default express;
}
