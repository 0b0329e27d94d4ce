import { util } from '@aws-appsync/utils';
