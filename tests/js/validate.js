// Validates an OpenAPI document (file path argument, or standard input)
// with @apidevtools/swagger-parser: the schema of OpenAPI 3.0 and every
// $ref.  Prints "valid: N paths" or the errors; the exit status says which.
'use strict';
const fs = require('fs');
const SwaggerParser = require('@apidevtools/swagger-parser');

const text = fs.readFileSync(process.argv[2] || 0, 'utf8');
let doc;
try {
  doc = JSON.parse(text);
} catch (e) {
  console.error('not JSON: ' + e.message);
  process.exit(2);
}
SwaggerParser.validate(doc)
  .then((api) => {
    console.log('valid: ' + Object.keys(api.paths).length + ' paths');
  })
  .catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
