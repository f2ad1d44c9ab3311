// Tailwind CSS v4 runs as a single PostCSS plugin; it finds class names in the sources by itself.
export default {
  plugins: { '@tailwindcss/postcss': {} },
};
