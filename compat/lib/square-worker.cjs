// piscina's worker for the piscina-workers case.
module.exports = (n) => n * n;
