import { util, extensions } from '@aws-appsync/utils';
