import appsync from '@aws-appsync/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

export default [
  {
    files: ['generated/**/*.js'],
    languageOptions: { parser: tsParser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  { ...appsync.configs.recommended, files: ['generated/**/*.js'] },
];
