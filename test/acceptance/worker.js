'use strict';
// The worker of Piscina's README, unchanged: a default export plus named
// exports on it ("Multiple workers in one file").
function add({ a, b }) {
  return a + b;
}

function multiply({ a, b }) {
  return a * b;
}

async function slow({ ms }) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

add.add = add;
add.multiply = multiply;
add.slow = slow;

module.exports = add;
